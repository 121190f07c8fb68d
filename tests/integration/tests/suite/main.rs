//! The integration suite: the generated client against `kis-mock`, one test binary.

mod budget;
mod conformance;
mod demo;
mod dynamic;
mod escape_hatch;
mod fills;
mod hostile;
mod limits;
mod orders;
mod pagination;
mod rate;
mod realtime;
mod recording;
mod retries;
mod secrets;
mod strict;
mod tokens;

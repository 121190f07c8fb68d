//! The kis-mock test suite, one binary: each module covers one area of the server. One binary
//! instead of nine keeps link time and disk use down (each test binary links the whole server).

mod common;

mod auth;
mod binary;
mod catalog;
mod examples;
mod faults;
mod orders;
mod pagination;
mod rest;
mod robustness;
mod websocket;
mod ws_limits;

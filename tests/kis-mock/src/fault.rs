//! Faults a test injects: what fails ([`Fault`]), on which requests ([`FaultTarget`]) and how
//! often ([`FaultSpec`]).

use std::time::Duration;

/// A failure the server produces on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `EGW00201` "초당 거래건수를 초과하였습니다." with HTTP 500, as past the per-second limit.
    RateLimit,
    /// `EGW00123` "기간이 만료된 token 입니다." with the given HTTP status (KIS uses 500; 200 has
    /// been seen in the wild).
    TokenExpired {
        /// HTTP status of the error response.
        http_status: u16,
    },
    /// `SYDB0050` when page `page` (1-based) of a paginated endpoint is requested.
    PagingDataChanged {
        /// The page that fails.
        page: u32,
    },
    /// HTTP 500, with a KIS-shaped JSON body or with an empty body.
    ServerError {
        /// Whether the body is `{"rt_cd":"1","msg_cd":...}` (else empty).
        json_body: bool,
    },
    /// Answers with this KIS code and message (`rt_cd` "1") and HTTP status, whatever the
    /// request: any code a client must react to.
    Answer {
        /// `msg_cd`.
        msg_cd: String,
        /// `msg1`.
        msg1: String,
        /// HTTP status of the answer.
        http_status: u16,
    },
    /// Waits this long before handling the request (then handles it normally).
    Delay(Duration),
    /// Closes the connection as soon as the request is read: nothing is processed.
    DropBeforeProcessing,
    /// Processes the request (an order IS placed), then closes the connection without a
    /// response: the client cannot know the outcome.
    DropAfterProcessing,
    /// Answers as usual with one more key: in `block` (each row of a list), or at the top of
    /// the body when `None`. A field KIS added that the catalog does not list yet.
    ExtraKey {
        /// The output block (`output`), or `None` for the top of the body.
        block: Option<String>,
        /// The key.
        key: String,
        /// Its value (a string, as KIS sends values).
        value: String,
    },
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every REST request with a TR ID (auth endpoints only when targeted by path).
    All,
    /// Requests whose `tr_id` header equals this.
    TrId(String),
    /// Requests to this path (auth endpoints included).
    Path(String),
}

/// A fault with its target and how many times it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// What happens.
    pub fault: Fault,
    /// To which requests.
    pub target: FaultTarget,
    /// How many matching requests it hits; `None` hits every one until removed.
    pub times: Option<u32>,
}

impl Fault {
    /// This fault for every request, until removed.
    pub fn always(self) -> FaultSpec {
        FaultSpec {
            fault: self,
            target: FaultTarget::All,
            times: None,
        }
    }

    /// This fault for the next `n` matching requests.
    pub fn times(self, n: u32) -> FaultSpec {
        self.always().times(n)
    }

    /// This fault for requests with this TR ID.
    pub fn on_tr_id(self, tr_id: impl Into<String>) -> FaultSpec {
        self.always().on_tr_id(tr_id)
    }

    /// This fault for requests to this path.
    pub fn on_path(self, path: impl Into<String>) -> FaultSpec {
        self.always().on_path(path)
    }
}

impl FaultSpec {
    /// Limits the fault to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultSpec {
        self.times = Some(n);
        self
    }

    /// Targets requests with this TR ID.
    pub fn on_tr_id(mut self, tr_id: impl Into<String>) -> FaultSpec {
        self.target = FaultTarget::TrId(tr_id.into());
        self
    }

    /// Targets requests to this path.
    pub fn on_path(mut self, path: impl Into<String>) -> FaultSpec {
        self.target = FaultTarget::Path(path.into());
        self
    }
}

impl From<Fault> for FaultSpec {
    fn from(f: Fault) -> Self {
        f.always()
    }
}

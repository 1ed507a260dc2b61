//! The mail protocols' clients, knowing no service: IMAP (`imap`) and SMTP (`smtp`) over a
//! bounded line reader (`wire`), and modified UTF-7 folder names (`mutf7`). The services above
//! bring the endpoint, the connection (`transport::connect_endpoint`) and the token.

pub(crate) mod imap;
pub(crate) mod mutf7;
pub(crate) mod smtp;
mod wire;

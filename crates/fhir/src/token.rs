//! Where a request's bearer token comes from when it is not a fixed one: a person's sign-in, or a
//! backend client's grant, either of which expires and is renewed by its owner.

use crate::error::FhirError;
use std::future::Future;
use std::pin::Pin;

pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<String, FhirError>> + Send + 'a>>;

pub trait TokenSource: Send + Sync + std::fmt::Debug {
    /// A token to send now (renewed when it is about to expire). `FhirError::SignInNeeded` when only a
    /// person can give a new one.
    fn token(&self) -> TokenFuture<'_>;

    /// The server refused `token` (401): the next `token` must not return it.
    fn refused(&self, token: &str);
}

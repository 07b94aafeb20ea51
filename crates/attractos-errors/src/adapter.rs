//! The surface every adapter's error newtype shares, generated here once (the way axum's
//! `__define_rejection!` generates its rejections) because the orphan rule makes each adapter
//! declare its own type: axum's `IntoResponse` and actix-web's `ResponseError` cannot be
//! implemented for the core [`ApiError`](crate::ApiError), and the core stays framework-free.
//! Not a public API: the adapters call it, users see its output.

/// Declares `pub struct ApiError(pub attractos_errors::ApiError)` with the core's constructors
/// and builders on it, `From<E: Into<attractos_errors::ApiError>>` (so `?` converts domain
/// errors), `Deref` to the core error, `Display`, `Debug`, `Error`, and
/// `pub type Result<T, E = ApiError>`. The adapter adds its framework's response trait.
#[doc(hidden)]
#[macro_export]
macro_rules! __define_api_error {
    ($(#[$meta:meta])*) => {
        $(#[$meta])*
        pub struct ApiError(pub $crate::ApiError);

        impl ApiError {
            $crate::__plain_constructors!($crate::__adapter_constructors);

            /// `RATE_LIMITED` (429): the client may retry after `retry_after`.
            pub const fn rate_limited(retry_after: $crate::RetryAfter) -> Self {
                ApiError($crate::ApiError::rate_limited(retry_after))
            }

            /// `LIMIT_EXCEEDED` (429): `retry_after` is the time until the monthly quota resets.
            pub const fn limit_exceeded(retry_after: $crate::RetryAfter) -> Self {
                ApiError($crate::ApiError::limit_exceeded(retry_after))
            }

            /// `SERVER_ERROR` (500) caused by `cause`, which is logged and never sent.
            pub fn internal<E>(cause: E) -> Self
            where
                E: ::std::error::Error + Send + Sync + 'static,
            {
                ApiError($crate::ApiError::internal(cause))
            }

            /// Replaces the catalogue's message with a more specific one (on `SERVER_ERROR`
            /// kept for the logs only). See [`attractos_errors::ApiError::with_message`].
            pub fn with_message(
                self,
                message: impl ::std::convert::Into<::std::borrow::Cow<'static, str>>,
            ) -> Self {
                ApiError(self.0.with_message(message))
            }

            /// Attaches the internal cause: logged with its source chain, never sent.
            pub fn with_cause<E>(self, cause: E) -> Self
            where
                E: ::std::error::Error + Send + Sync + 'static,
            {
                ApiError(self.0.with_cause(cause))
            }

            /// Attaches an already shared internal cause.
            pub fn with_shared_cause(self, cause: $crate::Cause) -> Self {
                ApiError(self.0.with_shared_cause(cause))
            }

            /// The core error.
            pub fn into_inner(self) -> $crate::ApiError {
                self.0
            }
        }

        impl<E: ::std::convert::Into<$crate::ApiError>> ::std::convert::From<E> for ApiError {
            fn from(err: E) -> Self {
                ApiError(err.into())
            }
        }

        impl ::std::ops::Deref for ApiError {
            type Target = $crate::ApiError;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl ::std::fmt::Display for ApiError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::fmt::Debug for ApiError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl ::std::error::Error for ApiError {
            fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {
                ::std::error::Error::source(&self.0)
            }
        }

        /// `Result<T, ApiError>`: what handlers return.
        pub type Result<T, E = ApiError> = ::std::result::Result<T, E>;

        /// The newtype against the core error it wraps, in every adapter that declares it.
        #[cfg(test)]
        mod api_error_newtype_tests {
            use ::std::error::Error as _;

            use super::ApiError;
            use $crate::{ErrorCode, RetryAfter};

            #[derive(Debug)]
            struct StoreDown;

            impl ::std::fmt::Display for StoreDown {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("store unavailable")
                }
            }

            impl ::std::error::Error for StoreDown {}

            impl ::std::convert::From<StoreDown> for $crate::ApiError {
                fn from(err: StoreDown) -> Self {
                    $crate::ApiError::internal(err)
                }
            }

            fn lookup() -> super::Result<()> {
                Err(StoreDown)?
            }

            #[test]
            fn display_debug_and_source_are_the_core_errors() {
                let err = ApiError::internal(::std::io::Error::other("disk gone"));
                assert_eq!(err.code(), ErrorCode::ServerError, "Deref to the core error");
                assert_eq!(err.to_string(), "SERVER_ERROR: An unexpected error occurred on the server.");
                assert_eq!(format!("{err:?}"), format!("{:?}", err.0));
                assert!(format!("{err:?}").contains("disk gone"), "Debug shows the cause");
                assert_eq!(err.source().map(ToString::to_string).as_deref(), Some("disk gone"));
            }

            #[test]
            fn question_mark_converts_a_domain_error_through_the_core_error() {
                let err = lookup().expect_err("the store is down");
                assert_eq!(err.code(), ErrorCode::ServerError);
                assert_eq!(err.source().map(ToString::to_string).as_deref(), Some("store unavailable"));
                let core: ApiError = $crate::ApiError::try_from(ErrorCode::PlanRequired).expect("not a 429").into();
                assert_eq!(core.into_inner().code(), ErrorCode::PlanRequired);
            }

            #[test]
            fn constructors_and_builders_are_the_cores() {
                assert_eq!(ApiError::site_not_found().to_bytes(), $crate::ApiError::site_not_found().to_bytes());
                let wait = RetryAfter::from_secs(12);
                assert_eq!(ApiError::rate_limited(wait).to_bytes(), $crate::ApiError::rate_limited(wait).to_bytes());
                assert_eq!(ApiError::limit_exceeded(wait).to_bytes(), $crate::ApiError::limit_exceeded(wait).to_bytes());
                let specific = ApiError::invalid_json().with_message("trailing comma");
                assert_eq!(specific.message(), "trailing comma");
                let caused = ApiError::invalid_json().with_cause(StoreDown);
                assert_eq!(caused.source().map(ToString::to_string).as_deref(), Some("store unavailable"));
                assert_eq!(caused.code(), ErrorCode::InvalidJson, "a cause changes no code");
            }
        }
    };
}

/// One adapter constructor per row of [`__plain_constructors!`](crate::__plain_constructors).
#[doc(hidden)]
#[macro_export]
macro_rules! __adapter_constructors {
    ($( $(#[$doc:meta])* $name:ident => $variant:ident; )+) => {$(
        $(#[$doc])*
        pub const fn $name() -> Self {
            ApiError($crate::ApiError::$name())
        }
    )+};
}

/// `Deref` and `DerefMut` to the value inside, for each adapter's extractor newtypes
/// (`Query<T>`, `Json<T>`), as axum's and actix-web's own extractors have.
#[doc(hidden)]
#[macro_export]
macro_rules! __deref_to_inner {
    ($($name:ident),+) => {$(
        impl<T> ::core::ops::Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> ::core::ops::DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    )+};
}

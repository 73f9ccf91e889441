//! What reading a request body may fail with: past the body limit (413),
//! which a body sent in chunks only shows once it is read, or slower than
//! the minimum rate (408, [`super::connection::MinRate`]).

/// Whether reading a body failed because it went past the body limit (a
/// body sent in chunks has no length to refuse it by up front).
pub fn over_the_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    caused_by::<http_body_util::LengthLimitError>(error)
}

/// Whether reading a body failed because it arrived slower than the
/// minimum rate.
pub fn too_slow(error: &(dyn std::error::Error + 'static)) -> bool {
    caused_by::<super::connection::TooSlow>(error)
}

/// Whether `error`, or an error among its causes, is a `T`.
fn caused_by<T: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<T>() {
            return true;
        }
        // An io::Error's `source` skips the error it wraps: look at it too.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && caused_by::<T>(inner)
        {
            return true;
        }
        next = error.source();
    }
    false
}

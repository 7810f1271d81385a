//! What commands return to `main`, which turns it into an exit code.

/// What a command wants the process to end with.
pub enum Outcome {
    Ok,
    Interrupted,
}

/// An error that is the user's input, not the machine's.
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

//! Prints the error catalogue as a table: code, status, category, retry policy, message.
//!
//! ```sh
//! cargo run -p attractos-errors --example catalogue
//! ```

use attractos_errors::ErrorCode;

fn main() {
    println!(
        "{:<20} {:>6}  {:<15} {:<18} MESSAGE",
        "CODE", "STATUS", "CATEGORY", "RETRY"
    );
    for &code in ErrorCode::ALL {
        println!(
            "{:<20} {:>6}  {:<15} {:<18} {}",
            code.as_str(),
            code.status().as_u16(),
            code.category().as_str(),
            code.retry().as_str(),
            code.message()
        );
    }
}

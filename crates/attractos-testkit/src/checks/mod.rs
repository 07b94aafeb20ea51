pub mod bearer_key;

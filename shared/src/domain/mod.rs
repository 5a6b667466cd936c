//! Pure domain types and rules. Each rule cites its id from DOMAIN.md.

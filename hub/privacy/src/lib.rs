//! Customer personal data sealed at rest (issue 14, item 3).

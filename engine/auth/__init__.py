"""Who may do what: users, roles, passwords, sessions."""

# system tests (local backend)

# unit tests: translate

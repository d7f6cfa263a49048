# unit tests: farm

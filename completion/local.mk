# bash completion for baltic: installed where bash-completion loads it
# on demand (--with-bash-completion-dir overrides).
bashcompletion_DATA = completion/baltic
EXTRA_DIST += completion/baltic tests/system/completion.sh
TESTS += tests/system/completion.sh

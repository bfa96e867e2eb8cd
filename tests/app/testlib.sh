# Shared by the CLI end-to-end scripts (sourced). Expects $cli and $work to be set.
passed=0
failed=0

check() { # name, condition (command string evaluated), detail
    if eval "$2"; then
        passed=$((passed + 1)); echo "PASS $1"
    else
        failed=$((failed + 1)); echo "FAIL $1: ${3:-}"
    fi
}

# SECONDS CONDITION (command string evaluated): true as soon as the condition holds, retried every
# 0.2 s; for what another process finishes a moment after the command under test returned.
eventually() {
    local i
    for ((i = 1; i < $1 * 5; i++)); do
        eval "$2" && return 0
        sleep 0.2
    done
    eval "$2"
}

# FILTER [FILE]: like `jq -e`, but also false when there is no input at all (jq 1.6's -e exits 0
# on empty input, so a check on a command that printed nothing would pass).
jqe() {
    local out last
    out=$(jq "$@") || return 1
    [ -n "$out" ] || return 1
    last=$(printf '%s\n' "$out" | tail -n 1)
    [ "$last" != false ] && [ "$last" != null ]
}

run() { # runs the CLI, capturing exit code, stdout and stderr
    "$cli" "$@" >"$work/stdout" 2>"$work/stderr"
    rc=$?
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

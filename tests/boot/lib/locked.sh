# locked.sh - sourced by boot-test wrappers: run one python test program
# at a time (runs would share their logs in build/boot-tests/ and the
# machine's cores), with an overall time limit, always ending with the
# "N passed, N failed" line even when the program cannot finish.
#
#   run_locked LOCKNAME TIMEOUT PROGRAM.py [ARGS...]
# Exits the calling script with the program's status.
run_locked() {
	local name=$1 limit=$2 prog=$3
	shift 3
	exec 9>"build/boot-tests/$name.lock"
	if ! flock -n 9; then
		echo "# another $name run is going on: waiting for it"
		if ! flock -w "$limit" 9; then
			echo "not ok 1 - another $name run held the lock for $limit s"
			echo "0 passed, 1 failed"
			exit 1
		fi
	fi
	PYTHONDONTWRITEBYTECODE=1 timeout "$limit" python3 "$prog" "$@"
	local status=$?
	if [ "$status" = 124 ]; then
		echo "# $(basename "$prog") did not finish within $limit s"
		echo "0 passed, 1 failed"
	fi
	exit "$status"
}

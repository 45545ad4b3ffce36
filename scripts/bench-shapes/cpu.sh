# CPU time as the suite reads it from /proc, sourced by scripts/bench-shapes/harness.sh and
# scripts/bench-two-core-bound.sh (the kit's run.sh, outside this repository, reads it the
# same way). Ticks are of CLK_TCK (getconf CLK_TCK).

# pid_ticks PID... : utime + stime of each process (all its threads), summed; a process
# that is gone counts 0. The fields are read after the ") " that ends the command name,
# which may itself hold spaces or parentheses.
pid_ticks() {
  local total=0 p s f
  for p in "$@"; do
    s=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    s=${s##*) }
    read -ra f <<<"$s"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# machine_ticks : "BUSY TOTAL" of all CPUs: busy is user, nice, system, irq and softirq
# (the work done here: not idle, iowait or the hypervisor's steal), total all of them.
machine_ticks() {
  awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat
}

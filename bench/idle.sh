# Sourced by bench/run.sh and bench/load.sh: waiting for the CPUs to be mostly idle before a
# measurement, since other builds on a 2-core machine would otherwise be measured too.

# wait_for_idle WHO MAX_WAIT SAMPLE PAUSE: returns once at most 15% of the CPU time over SAMPLE
# seconds was busy, sampling every PAUSE seconds more; after MAX_WAIT seconds it says so on
# stderr (as WHO) and returns anyway.
wait_for_idle() {
    local who="$1" deadline=$((SECONDS + $2)) sample="$3" pause="$4"
    local u1 n1 s1 i1 w1 q1 sq1 st1 u2 n2 s2 i2 w2 q2 sq2 st2 busy total
    while :; do
        read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
        sleep "$sample"
        read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
        busy=$(((u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1)))
        total=$((busy + (i2 + w2) - (i1 + w1)))
        if [ $((busy * 100)) -le $((total * 15)) ]; then
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$who: the machine is still busy ($((busy * 100 / total))%); measuring anyway" >&2
            return 0
        fi
        sleep "$pause"
    done
}

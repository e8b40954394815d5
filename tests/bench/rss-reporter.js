// Preloaded into the measured `inswarm` process with `node --import`, so the benchmark learns that
// process's peak RSS without any change to the product: on exit it writes
// process.resourceUsage().maxRSS (the kernel's getrusage high-water mark, in KiB, covering every
// thread including the hash worker) to the file named by INSWARM_BENCH_RSS_FILE.
// Why not /proc from the parent: polling /proc/PID/status samples and can miss the peak, and VmHWM
// is gone by the time the parent sees the exit; getrusage(RUSAGE_CHILDREN) would mix in age and cp.
import { writeFileSync } from 'node:fs';

const file = process.env.INSWARM_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));

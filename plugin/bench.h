/* bench.h - `authguard bench`: the project's own throughput figures. */
#ifndef AG_BENCH_H
#define AG_BENCH_H

int ag_bench_main(int argc, char **argv);

#endif

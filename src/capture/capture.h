/*
 * capture.h - netsift capture: the loop from source through decoder to
 * sinks, signals, progress and the summary.
 */
#ifndef NETSIFT_CAPTURE_H
#define NETSIFT_CAPTURE_H

/* Run `netsift capture` with its arguments (argv[0] = "capture").
 * Returns the process exit status. */
int capture_main(int argc, char **argv);

#endif

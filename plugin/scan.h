/* scan.h - `authguard scan`: read log files or stdin, recognize, report. */
#ifndef AG_SCAN_H
#define AG_SCAN_H

int ag_scan_main(int argc, char **argv);

#endif

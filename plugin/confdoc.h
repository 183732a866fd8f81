/* confdoc.h - `authguard config`: every section and key the build knows,
 * printed from the modules' key tables, as a commented authguard.conf
 * (--defaults) or as the key reference of authguard.conf(5) (--man). */
#ifndef AG_CONFDOC_H
#define AG_CONFDOC_H

int ag_config_main(int argc, char **argv);

#endif

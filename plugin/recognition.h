/* recognition.h - `authguard catalogue`: the recognition catalogue as the
 * README's table. */
#ifndef AG_RECOGNITION_H
#define AG_RECOGNITION_H

int ag_catalogue_main(int argc, char **argv);

#endif

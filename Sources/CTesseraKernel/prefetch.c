// CTesseraKernel is header-only (static inline helpers); SwiftPM needs one source file.
#include "CTesseraKernel.h"

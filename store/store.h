/* store/store.h - placeholder, being written. */
#ifndef LSN_STORE_H
#define LSN_STORE_H
#endif

# store/
libliaison_a_SOURCES += store/store.h

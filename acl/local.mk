# acl/: the marking engine (pure C; loads only its data files).

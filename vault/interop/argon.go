package interop

import "strconv"

// Argon2 parameters read from a file (Bitwarden's, Ente's, KeePass's) are bounded
// before any hashing: at most 1 GiB of memory (Ente's own default, Bitwarden's
// maximum), and at most 4 GiB of memory times passes in all (Ente's default of
// 1 GiB x 4 and its lower-memory equivalents such as 256 MiB x 16, about 3 s on a
// 2-core laptop); Bitwarden's default is 64 MiB x 3, KeePassXC's 64 MiB x 10.
const (
	argon2MaxMemory = 1 << 30 // bytes
	argon2MaxWork   = 4 << 30 // bytes x passes
	argon2MaxLanes  = 64
)

// argon2Check says whether an Argon2 derivation of mem bytes, passes passes and
// lanes lanes is within Ward's bounds; its error wraps ErrTooCostly, or is
// ErrDamaged for parameters Argon2 itself refuses.
func argon2Check(mem, passes, lanes uint64) error {
	switch {
	case passes < 1 || lanes < 1 || mem < 8*1024*lanes:
		return ErrDamaged
	case lanes > argon2MaxLanes:
		return costlyf("the file asks for Argon2 with %d lanes; Ward computes at most %d", lanes, argon2MaxLanes)
	case mem > argon2MaxMemory:
		return costlyf("the file asks for Argon2 with %s of memory; Ward spends at most %s", mib(mem), mib(argon2MaxMemory))
	case passes > argon2MaxWork/mem:
		return costlyf("the file asks for Argon2 with %s and %d passes; Ward spends at most %s times passes (such as 1024 MiB x 4)",
			mib(mem), passes, mib(argon2MaxWork))
	}
	return nil
}

func mib(b uint64) string {
	if b < 1<<20 {
		return strconv.FormatUint(b>>10, 10) + " KiB"
	}
	return strconv.FormatUint(b>>20, 10) + " MiB"
}

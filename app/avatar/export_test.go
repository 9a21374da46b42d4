package avatar

// SetTestHook makes every bounded call run f first, inside the one-at-a-time
// turn; nil removes it. Only tests that run alone may use it.
func SetTestHook(f func()) { testHook = f }

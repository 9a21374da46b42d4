package sm

import "time"

// SetCounts sets the counts of stanzas received and sent, the sent ones
// all acknowledged, as if the session had run long enough to get there.
func SetCounts(st *State, in, out uint32) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.in, st.out, st.acked, st.requested = in, out, out, out
	st.queue, st.queueBytes = nil, 0
}

// SetLost sets when the connection was lost.
func SetLost(st *State, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.lost = at
}

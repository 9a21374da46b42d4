package prosodytest

// PID returns the process id of the running server, 0 when it is stopped.
func PID(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.Cmd.Process.Pid
}

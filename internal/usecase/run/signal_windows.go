//go:build windows

package run

import "os"

// forward does nothing on Windows: a Ctrl-C in the console reaches every
// process attached to it, the program included, and Windows has no way to
// send a process SIGINT or SIGTERM. gdlogin itself ignores the Ctrl-C
// (package main catches it) and waits for the program's exit.
func forward(*os.Process, os.Signal) {}

func signalOf(*os.ProcessState) (os.Signal, bool) { return nil, false }

func signalNumber(os.Signal) int { return 0 }

package logging

import "time"

func waitABit() { time.Sleep(20 * time.Millisecond) }

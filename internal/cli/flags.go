package cli

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// timeoutValue is a --timeout: a duration that must be positive, checked
// when the flag is parsed, for every command alike.
type timeoutValue time.Duration

func (t *timeoutValue) String() string { return time.Duration(*t).String() }
func (t *timeoutValue) Type() string   { return "duration" }

func (t *timeoutValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("not a duration such as 30s or 5m")
	}
	if d <= 0 {
		return fmt.Errorf("must be positive (got %s)", d)
	}
	*t = timeoutValue(d)
	return nil
}

// timeoutFlag defines --timeout on f.
func timeoutFlag(f *pflag.FlagSet, p *time.Duration, def time.Duration, usage string) {
	*p = def
	f.Var((*timeoutValue)(p), "timeout", usage)
}

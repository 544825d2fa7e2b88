package eventmanager

// Mock mode: each Publisher records what it publishes, and package
// eventmanagertest reads it through the internal recorder package.

import "github.com/lsst-sqre/sasquatch-go/eventmanager/internal/recorder"

// recording returns what the publisher recorded (a *recorder.Recorder[T],
// nil outside mock mode) and its manager's mode, for package
// eventmanagertest through recorder.Lookup.
func (p *Publisher[T]) recording() (rec any, mode string) {
	if p.rec == nil {
		return nil, p.core.mode.String()
	}
	return p.rec, p.core.mode.String()
}

// recordingSource is every *Publisher[T].
type recordingSource interface{ recording() (any, string) }

// The bridge to package eventmanagertest (see recorder.Lookup), set once
// while the package is initialized: the only package-level assignment of
// the module, kept because Publisher's recorder must not be in its API.
var _ = func() bool {
	recorder.Lookup = func(p any) (any, string) {
		if s, ok := p.(recordingSource); ok {
			return s.recording()
		}
		return nil, ""
	}
	return true
}()

//go:build race

package eventmanager_test

const raceEnabled = true

package dashboards

import (
	"slices"
	"strings"
)

// Ident quotes an InfluxQL identifier (a measurement, field or tag name):
// double quotes, with backslashes and double quotes escaped. Names with dots,
// as every Sasquatch measurement has, must be quoted.
func Ident(name string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// Measurement is measurement qualified with the database, for the FROM
// clause of a Query: "lsst.square.metrics".."<measurement>" (the database's
// default retention policy).
func Measurement(measurement string) string {
	return Ident(DataSource) + ".." + Ident(measurement)
}

// The macros a Query is written with, and Chronograf's for them.
const (
	grafanaTimeFilter    = "$timeFilter"
	grafanaInterval      = "$__interval"
	chronografTimeFilter = "time > :dashboardTime: AND time < :upperDashboardTime:"
	chronografInterval   = ":interval:"
)

// grafana returns q's statement as Grafana runs it: each tag of Filters
// after every $timeFilter, as a regex match against the tag's variable.
func (q Query) grafana() string {
	if len(q.Filters) == 0 {
		return q.InfluxQL
	}
	var b strings.Builder
	b.WriteString(grafanaTimeFilter)
	for _, tag := range slices.Sorted(slices.Values(q.Filters)) {
		b.WriteString(" AND " + Ident(tag) + " =~ /^${" + tag + "}$/")
	}
	return strings.ReplaceAll(q.InfluxQL, grafanaTimeFilter, b.String())
}

// chronograf returns q's statement with Chronograf's macros and no filters.
func (q Query) chronograf() string {
	return strings.NewReplacer(grafanaTimeFilter, chronografTimeFilter, grafanaInterval, chronografInterval).Replace(q.InfluxQL)
}

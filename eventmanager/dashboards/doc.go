// Package dashboards draws an application's starter dashboards from its
// event types: a Grafana dashboard, the GrafanaDashboard resource that loads
// it into Sasquatch's Grafana, and the same panels as a Chronograf
// dashboard.
//
// [New] reads the application's [eventmanager.Pipeline] (every measurement,
// tag, field and field type) and returns a [Dashboard]: a variable per tag,
// and per event a row with its events per interval split by each tag, the
// mean and 95th percentile of each numeric field (durations in seconds), the
// share of true of each boolean field, and a table of the latest events. Its
// queries are InfluxQL on the database [DataSource], lsst.square.metrics,
// written once ([Query]) and rendered with Grafana's $timeFilter and
// $__interval or Chronograf's :dashboardTime:, :upperDashboardTime: and
// :interval:.
//
// The Dashboard is plain data: an application extends it in code, appending
// rows, panels and queries, rather than by hand in Grafana, where the next
// generated dashboard would overwrite the change. [Dashboard.Grafana] returns
// the Grafana Foundation SDK's builder for what the Dashboard does not
// model. [Dashboard.GrafanaJSON] is the dashboard JSON,
// [Dashboard.GrafanaResource] the resource for the application's Phalanx
// chart, [Dashboard.Chronograf] the file Chronograf imports, and
// [Dashboard.Render] the last two labelled with where they go.
//
// The package is apart from eventmanager so that an application that
// renders no dashboard does not compile the Grafana SDK. Its test helpers
// are in dashboardstest.
package dashboards

package dashboards

import (
	"fmt"

	"github.com/google/uuid"
)

// The Chronograf dashboard, in the form Chronograf exports and imports
// (Dashboards > Import Dashboard): {"meta": ..., "dashboard": ...}. No Go
// library models it (Chronograf's own types live in its server, a main
// module), so these types follow chronograf.go's DashboardCell,
// DashboardQuery and Axis, with the fields the import reads.
type (
	chronografFile struct {
		Meta      chronografMeta      `json:"meta"`
		Dashboard chronografDashboard `json:"dashboard"`
	}
	chronografMeta struct {
		ChronografVersion string         `json:"chronografVersion"`
		Sources           map[string]any `json:"sources"`
	}
	chronografDashboard struct {
		ID           int              `json:"id"`
		Name         string           `json:"name"`
		Organization string           `json:"organization"`
		Cells        []chronografCell `json:"cells"`
		Templates    []any            `json:"templates"`
	}
	chronografCell struct {
		ID             string                    `json:"i"`
		X              int                       `json:"x"`
		Y              int                       `json:"y"`
		W              int                       `json:"w"`
		H              int                       `json:"h"`
		Name           string                    `json:"name"`
		Queries        []chronografQuery         `json:"queries"`
		Axes           map[string]chronografAxis `json:"axes"`
		Type           string                    `json:"type"`
		Colors         []any                     `json:"colors"`
		Legend         map[string]any            `json:"legend"`
		FieldOptions   []any                     `json:"fieldOptions"`
		TimeFormat     string                    `json:"timeFormat"`
		DecimalPlaces  chronografDecimals        `json:"decimalPlaces"`
		Note           string                    `json:"note"`
		NoteVisibility string                    `json:"noteVisibility"`
	}
	chronografQuery struct {
		Query       string                `json:"query"`
		QueryConfig chronografQueryConfig `json:"queryConfig"`
		Source      string                `json:"source"`
		Type        string                `json:"type"`
	}
	// chronografQueryConfig is the builder's state; RawText set means the
	// query is raw InfluxQL.
	chronografQueryConfig struct {
		Database        string            `json:"database"`
		Measurement     string            `json:"measurement"`
		RetentionPolicy string            `json:"retentionPolicy"`
		Fields          []any             `json:"fields"`
		Tags            map[string]any    `json:"tags"`
		GroupBy         chronografGroupBy `json:"groupBy"`
		AreTagsAccepted bool              `json:"areTagsAccepted"`
		RawText         string            `json:"rawText"`
		Range           *struct{}         `json:"range"`
		Shifts          []any             `json:"shifts"`
	}
	chronografGroupBy struct {
		Time *string  `json:"time"`
		Tags []string `json:"tags"`
	}
	chronografAxis struct {
		Bounds []string `json:"bounds"`
		Label  string   `json:"label"`
		Prefix string   `json:"prefix"`
		Suffix string   `json:"suffix"`
		Base   string   `json:"base"`
		Scale  string   `json:"scale"`
	}
	chronografDecimals struct {
		IsEnforced bool `json:"isEnforced"`
		Digits     int  `json:"digits"`
	}
)

// chronografLabels are the y-axis labels of the units.
var chronografLabels = map[Unit]string{Number: "", Count: "events", Seconds: "seconds", Ratio: "share (0 to 1)"}

// Chronograf returns the dashboard as a Chronograf dashboard file, the JSON
// Chronograf's Import Dashboard reads (Sasquatch still runs Chronograf, and
// Safir's metrics guide sends users to it): one cell per panel (graphs 6 of
// Chronograf's 12 columns wide, tables 12), each row starting a new line;
// the queries with Chronograf's :dashboardTime:, :upperDashboardTime: and
// :interval:, without tag filters and without variables (see Variable).
// Cell ids are derived from the dashboard uid and the panel's position, so
// the output is deterministic. Import it on the source whose database
// lsst.square.metrics holds the events (the queries name it).
func (d *Dashboard) Chronograf() ([]byte, error) {
	f := chronografFile{
		Meta:      chronografMeta{ChronografVersion: "1.10.0", Sources: map[string]any{}},
		Dashboard: chronografDashboard{Name: d.Title, Cells: []chronografCell{}, Templates: []any{}},
	}
	y := 0
	for ri, r := range d.Rows {
		x, h := 0, 0
		for pi, p := range r.Panels {
			w, typ := 6, "line"
			if p.Kind == Table {
				w, typ = 12, "table"
			}
			if x+w > 12 {
				x, y, h = 0, y+h, 0
			}
			c := chronografCell{
				ID: uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "sasquatch-go:%s:%d:%d", d.UID, ri, pi)).String(),
				X:  x, Y: y, W: w, H: 4, Name: p.Title, Type: typ,
				Axes: map[string]chronografAxis{
					"x":  {Bounds: []string{"", ""}, Base: "10", Scale: "linear"},
					"y":  {Bounds: []string{"", ""}, Label: chronografLabels[p.Unit], Base: "10", Scale: "linear"},
					"y2": {Bounds: []string{"", ""}, Base: "10", Scale: "linear"},
				},
				Colors: []any{}, Legend: map[string]any{}, FieldOptions: []any{},
				DecimalPlaces: chronografDecimals{Digits: 3}, Note: p.Description, NoteVisibility: "default",
			}
			if p.Unit == Ratio {
				c.Axes["y"] = chronografAxis{Bounds: []string{"0", "1"}, Label: chronografLabels[p.Unit], Base: "10", Scale: "linear"}
			}
			for _, q := range p.Queries {
				text := q.chronograf()
				c.Queries = append(c.Queries, chronografQuery{Query: text, Source: "", Type: "influxql", QueryConfig: chronografQueryConfig{
					Database: DataSource, Fields: []any{}, Tags: map[string]any{}, GroupBy: chronografGroupBy{Tags: []string{}},
					RawText: text, Shifts: []any{},
				}})
			}
			f.Dashboard.Cells = append(f.Dashboard.Cells, c)
			x, h = x+w, max(h, c.H)
		}
		y += h
	}
	return marshal(f)
}

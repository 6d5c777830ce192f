package osm

import (
	"testing"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/pkg/settings"
)

// TestNewTakesTheSettings: osm does not default the [osm] tunables again
// (settings.Defaults holds them); a config without them is refused, one
// built from the settings is taken as it is.
func TestNewTakesTheSettings(t *testing.T) {
	if _, err := New(Config{ConfPath: "x", ScriptDir: "y"}, logtest.New(t)); err == nil {
		t.Error("New defaulted the [osm] tunables")
	}
	o := settings.Defaults().OSM
	a, err := New(Config{ConfPath: "x", ScriptDir: "y", StatusInterval: o.StatusInterval.D(), StatusTimeout: o.StatusTimeout.D(),
		ReconnectMin: o.ReconnectMin.D(), ReconnectMax: o.ReconnectMax.D(), DiscoveryWindow: o.DiscoveryWindow.D()}, logtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	if a.cfg.StatusInterval != o.StatusInterval.D() || a.cfg.DiscoveryWindow != o.DiscoveryWindow.D() {
		t.Errorf("config = %+v", a.cfg)
	}
}

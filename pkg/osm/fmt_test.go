package osm

import (
	"fmt"
	"strconv"
)

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

func fmtFields(m map[string]any) string { return fmt.Sprint(m) }

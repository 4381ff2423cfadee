package httpin

import (
	"fmt"
	"os"
	"strconv"
)

// chmodSocket sets socket_mode as http_listener_v2.go Start does.
func chmodSocket(path, mode string) error {
	i, err := strconv.ParseUint(mode, 8, 32)
	if err != nil {
		return fmt.Errorf("converting socket mode failed: %w", err)
	}
	if err := os.Chmod(path, os.FileMode(uint32(i))); err != nil {
		return fmt.Errorf("changing socket permissions failed: %w", err)
	}
	return nil
}

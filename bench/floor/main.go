// Command floor is the floor of any one-shot check that pushes: one HTTP GET
// to the URL it is given (an Uptime Kuma push), with a deadline, and one
// line printed. No time daemon is read, nothing is judged. bench/oneshot.sh
// times `ntphealth check` against it, side by side.
//
//	floor http://127.0.0.1:3001/api/push/TOKEN?status=up&msg=OK&ping=
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor URL")
		os.Exit(3)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	fmt.Println("OK: pushed,", resp.Status)
}

package sharedpool_test

import (
	"database/sql"
	"fmt"
	"os"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// ExampleConnector adopts sharedpool under database/sql in one line.
func ExampleConnector() {
	db := sql.OpenDB(sharedpool.Connector(os.Getenv("SHAREDPOOL_TEST_DSN"), sharedpool.WithMaxSize(4)))
	defer db.Close()

	var answer int
	if err := db.QueryRow("SELECT ? * 2", 21).Scan(&answer); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(answer)
	// Output: 42
}

//go:build cgo

package sharedpool

import "github.com/go-sql-driver/mysql"

// Server errors through database/sql are go-sql-driver's *mysql.MySQLError, the type that
// database/sql code written for MySQL checks, often by type assertion rather than errors.As
// (GORM's MySQL dialector with TranslateError, for one, maps err.(*mysql.MySQLError) 1062
// to gorm.ErrDuplicatedKey). A type assertion sees only the top-level error, so no wrapper
// can carry sharedpool's Code beside it: on the database/sql path a server error is a bare
// *mysql.MySQLError, and the native API (Pool.Query etc.) keeps *MySQLError and *Error.

// driverError is err as database/sql returns it: an error carrying a server error number
// (a failed statement, a refused login, an unknown database) becomes a *mysql.MySQLError;
// errors without one (timeouts, a closed pool, a cancelled context, a lost connection,
// client-library errors 2000-2999) keep their sharedpool types.
func driverError(err error) error {
	var se *MySQLError
	switch e := err.(type) {
	case *MySQLError:
		se = e
	case *Error:
		se = e.server
	}
	if se == nil || isClientErrno(se.Number) {
		return err
	}
	return se.goSQL()
}

// isClientErrno tells the client library's error numbers (CR_*, 2000-2999), which
// go-sql-driver never reports as a *mysql.MySQLError, from the server's.
func isClientErrno(n uint16) bool { return n >= 2000 && n < 3000 }

// goSQL is e as go-sql-driver's error type.
func (e *MySQLError) goSQL() *mysql.MySQLError {
	me := &mysql.MySQLError{Number: e.Number, Message: e.Message}
	copy(me.SQLState[:], e.SQLState)
	return me
}

// As lets errors.As(err, &me) with me a *mysql.MySQLError (go-sql-driver's) match a server
// error from the native API too.
func (e *MySQLError) As(target any) bool {
	if t, ok := target.(**mysql.MySQLError); ok {
		*t = e.goSQL()
		return true
	}
	return false
}

module github.com/sharedpool/sharedpool/bindings/go

go 1.23

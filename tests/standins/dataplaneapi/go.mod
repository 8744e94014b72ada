module local.invalid/standins/dataplaneapi

go 1.23

require (
	github.com/GehirnInc/crypt v0.0.0-20230320061759-8cc1b52080c5
	gopkg.in/yaml.v2 v2.4.0
)

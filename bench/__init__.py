"""RestaurantOrder's benchmark: `python -m bench --help`. See bench/README.md."""

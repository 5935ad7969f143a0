"""The Scrapy project that fills the archive: spiders per source, pipelines, middlewares."""

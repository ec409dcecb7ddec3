"""The item spiders yield. Its JSON schema is scraper/item_schema.json."""
import scrapy


class PostItem(scrapy.Item):
    url = scrapy.Field()
    source = scrapy.Field()
    kind = scrapy.Field()              # article | complaint
    source_id = scrapy.Field()         # platform complaint number
    title = scrapy.Field()
    body = scrapy.Field()              # raw text, normalized by the pipelines
    published_at = scrapy.Field()      # ISO 8601
    chrome = scrapy.Field()            # navigation/sidebar lines: lender mentions, never subjects
    complaint_target = scrapy.Field()
    complaint_issue = scrapy.Field()
    complaint_demand = scrapy.Field()
    complaint_amount = scrapy.Field()
    complaint_status = scrapy.Field()
    complaint_timeline = scrapy.Field()
    removed = scrapy.Field()
    raw_body = scrapy.Field()          # response bytes, archived as evidence
    raw_status = scrapy.Field()
    raw_encoding = scrapy.Field()
    fetched_at = scrapy.Field()

// The Event Grid subscription from one subscription's ARM system topic to the Event Grid
// triggered function. Only the operations the routing table handles are delivered; failed
// deliveries are retried, then dead-lettered to a blob container with the topic's identity.

metadata name = 'Lifeboat event subscription'
metadata description = 'System topic subscription to an Azure Function with filter, retry and dead-letter.'

@description('Required. Name of the existing system topic in this resource group.')
param systemTopicName string

@description('Required. Name of the event subscription.')
param name string

@description('Required. Resource id of the Function App.')
param functionAppId string

@description('Required. Name of the Event Grid triggered function in that app.')
param functionName string

@description('Required. ARM operation names delivered (data.operationName); Event Grid allows 25 values.')
@minLength(1)
@maxLength(25)
param operationNames array

@description('Required. Event types delivered, e.g. Microsoft.Resources.ResourceWriteSuccess.')
@minLength(1)
param includedEventTypes array

@description('Required. Resource id of the storage account receiving dead letters.')
param deadLetterStorageAccountId string

@description('Required. Blob container receiving dead letters.')
param deadLetterContainerName string

@description('Optional. Delivery retry policy.')
param retry retryType = {
  maxDeliveryAttempts: 30
  eventTimeToLiveInMinutes: 1440
}

@description('Event Grid retry policy.')
type retryType = {
  maxDeliveryAttempts: int
  eventTimeToLiveInMinutes: int
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: name
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: includedEventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: operationNames
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: retry.maxDeliveryAttempts
      eventTimeToLiveInMinutes: retry.eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('The event subscription resource id.')
output id string = eventSubscription.id
